FROM centos:7
RUN yum install -y httpd
RUN yum clean all && yum -y install git
RUN yum -y install bash && \
    yum clean all && \
    yum -y install zsh
RUN yum install -y vim && yum clean metadata
